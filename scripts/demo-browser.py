#!/usr/bin/env python3
"""Clicks through `rebind demo` (DESIGN §12) in headless Chromium, as a newcomer would.

    demo-browser.py --rebind .build/debug/rebind --screens DIR [--timeout 30]

Starts `rebind demo` on two free ports (REBIND_HTTP_PORT, REBIND_ADMIN_PORT: the only
settings it reads), opens http://127.0.0.1:ADMIN/demo at 1280 x 900 and:
presses the "Binance key deleted" scenario button; waits for the guidance in the simulated
chat; taps its "Update API key" button; types the demo API key and secret shown on the page
when the bot asks; waits for "has the new key"; waits for the guidance to turn to "Resolved"
(the simulated platform resumes the robots). Screenshots (demo-start, demo-guidance,
demo-resolved) go into DIR. Prints one JSON object on stdout:

    {"banner": text, "scenarios": [button titles], "guidance": text, "asks": [bot texts after the tap],
     "applied": text of the "has the new key" message, "resolved": text of the resolved message,
     "user_messages": [texts the chat still shows from the trader], "console_errors": [...],
     "csp_violations": [...]}

Exit status: 0 it ran (whatever it saw: the JSON says); 2 a harness problem, said on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from browser_harness import log_checks, start_browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebind", required=True)
    parser.add_argument("--screens", required=True)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    os.makedirs(args.screens, exist_ok=True)

    http_port, admin_port = free_port(), free_port()
    # Only the two ports: the demo must not read anything else (a real token in the
    # environment would be ignored anyway; this proves the demo needs none).
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "REBIND_HTTP_PORT": str(http_port), "REBIND_ADMIN_PORT": str(admin_port),
           "REBIND_TELEGRAM_BOT_TOKEN": "123456:real-token-that-must-not-be-used"}
    log = open(os.path.join(args.screens, "demo.log"), "w")
    demo = subprocess.Popen([os.path.abspath(args.rebind), "demo"], env=env, cwd="/tmp", stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{admin_port}"
    try:
        deadline = time.time() + args.timeout
        while True:
            try:
                if urllib.request.urlopen(base + "/demo", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if demo.poll() is not None or time.time() > deadline:
                log.flush()
                with open(log.name) as written:
                    print(f"demo-browser: rebind demo did not come up: {written.read()[-2000:] or 'timeout'}", file=sys.stderr)
                return 2
            time.sleep(0.1)
        return walk(base, args)
    finally:
        demo.terminate()
        try:
            demo.wait(timeout=10)
        except subprocess.TimeoutExpired:
            demo.kill()
        log.close()


def walk(base: str, args) -> int:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = start_browser(1280, 900)
    seen: dict = {}

    # The page redraws the chat whenever it changes (a message deleted, edited or added), so the
    # chat is read in one script call rather than element by element.
    def texts(selector: str) -> list[str]:
        return driver.execute_script(f"return [...document.querySelectorAll({selector!r})].map(e => e.innerText)")

    def bot_texts() -> list[str]:
        return texts("#chat .message.bot")

    def wait(condition, what: str):
        from selenium.common.exceptions import StaleElementReferenceException, TimeoutException

        try:
            return WebDriverWait(driver, args.timeout, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]).until(
                lambda d: condition())
        except TimeoutException:
            raise RuntimeError(f"timed out waiting for {what}; the chat shows: {bot_texts()}") from None

    def send(text: str) -> None:
        box = driver.find_element(By.ID, "message")
        box.send_keys(text)
        driver.find_element(By.CSS_SELECTOR, "#compose button[type=submit]").click()

    try:
        driver.get(base + "/demo")
        seen["banner"] = driver.find_element(By.CSS_SELECTOR, ".banner").text
        seen["scenarios"] = [b.text for b in driver.find_elements(By.CSS_SELECTOR, "button.scenario")]
        keys = {dt.text: dd.text for dt, dd in zip(driver.find_elements(By.CSS_SELECTOR, ".keys dt"),
                                                   driver.find_elements(By.CSS_SELECTOR, ".keys dd"))}
        driver.save_screenshot(os.path.join(args.screens, "demo-start.png"))

        driver.find_element(By.CSS_SELECTOR, "button.scenario[data-scenario='scenario1-key-deleted-binance.json']").click()
        wait(lambda: any("Binance" in t for t in bot_texts()), "the guidance")
        seen["guidance"] = bot_texts()[0]
        driver.save_screenshot(os.path.join(args.screens, "demo-guidance.png"))

        wait(lambda: driver.execute_script(
            "const b = [...document.querySelectorAll('#chat .keyboard button')].find(b => b.innerText.includes('Update API key'));"
            " if (b) { b.click(); return true; } return false;"), "the Update API key button")
        wait(lambda: len(bot_texts()) >= 2, "the question for the API key")
        send(keys["Binance API key"])
        wait(lambda: len(bot_texts()) >= 3, "the question for the secret")
        send(keys["Binance secret key"])
        applied = wait(lambda: next((t for t in bot_texts() if "has the new key" in t), None), "has the new key")
        seen["applied"] = applied
        resolved = wait(lambda: next((t for t in bot_texts() if "Resolved" in t), None), "the resolved message")
        seen["resolved"] = resolved
        seen["asks"] = bot_texts()[1:]
        seen["user_messages"] = texts("#chat .message.user")
        time.sleep(0.5)
        driver.save_screenshot(os.path.join(args.screens, "demo-resolved.png"))
        logs = driver.get_log("browser")
    except Exception as error:  # noqa: BLE001 - any failure of the walk is the harness's to report
        print(f"demo-browser: {type(error).__name__}: {error}", file=sys.stderr)
        for entry in driver.get_log("browser"):
            print(f"demo-browser: browser log: {entry.get('level')} {entry.get('message')}", file=sys.stderr)
        try:
            driver.save_screenshot(os.path.join(args.screens, "demo-failure.png"))
        finally:
            driver.quit()
        return 2
    driver.quit()
    seen.update(log_checks(logs))
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
