#!/usr/bin/env python3
"""Walks the operator's console (DESIGN §11) in headless Chromium, as an operator would.

    console-browser.py --base http://127.0.0.1:PORT --screens DIR [--timeout 30] [--token-stdin]

Run with the Python that scripts/browser-venv.sh prints (Selenium pinned there), against
Debian's chromium through /usr/bin/chromedriver (scripts/install-deps.sh --test); nothing is
downloaded. The window is 1280 x 900, a laptop's.

With --token-stdin the admin token is read from standard input (so it shows in no process
list) and the walk starts at the login form: it opens /console, expects to land on
/console/login, signs in with a wrong token first, then the right one. Then it visits the
overview, the incident list, the first incident's page, the bindings and the dead letters,
ticks the first dead letter and presses "Replay selected". It takes a screenshot of each page
(login, login-refused, overview, incidents, incident, bindings, dead-letters,
dead-letters-replayed) into DIR and prints one JSON object on stdout:

    {"login_redirect": bool, "login_refused": text of the refusal or null,
     "overview": {"cards": {label: value}}, "incidents": [incident ids listed],
     "incident": {"title", "attempt_outcomes": [...], "text"},
     "bindings": [account ids], "dead_letters": [notice ids], "after_replay": flash text or null,
     "console_errors": [...], "csp_violations": [...], "scripts": number of <script> elements seen}

Exit status: 0 it ran; 2 a harness problem (no browser, a page without the expected
elements…), said on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from browser_harness import log_checks, start_browser


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the admin listener, e.g. http://127.0.0.1:8081")
    parser.add_argument("--screens", required=True)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--token-stdin", action="store_true")
    args = parser.parse_args(argv)
    token = sys.stdin.readline().strip() if args.token_stdin else None
    os.makedirs(args.screens, exist_ok=True)

    from selenium.webdriver.common.by import By

    driver = start_browser(1280, 900)
    driver.set_page_load_timeout(args.timeout)
    seen: dict = {"scripts": 0}
    logs: list[dict] = []

    def shot(name: str) -> None:
        driver.save_screenshot(os.path.join(args.screens, f"{name}.png"))
        seen["scripts"] += len(driver.find_elements(By.TAG_NAME, "script"))
        logs.extend(driver.get_log("browser"))

    def go(path: str) -> None:
        driver.get(args.base + path)

    def submit_and_wait(button) -> None:
        """Clicks a form's submit button and waits for the next page to replace this one."""
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        old = driver.find_element(By.TAG_NAME, "html")
        button.click()
        WebDriverWait(driver, args.timeout).until(expected_conditions.staleness_of(old))

    try:
        go("/console")
        if token is not None:
            seen["login_redirect"] = driver.current_url.endswith("/console/login")
            shot("login")
            driver.find_element(By.ID, "token").send_keys("adm_not_the_token")
            submit_and_wait(driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
            refused = driver.find_elements(By.CSS_SELECTOR, ".flash.error")
            seen["login_refused"] = refused[0].text if refused else None
            shot("login-refused")
            driver.find_element(By.ID, "token").send_keys(token)
            submit_and_wait(driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        cards = {}
        for card in driver.find_elements(By.CSS_SELECTOR, ".card"):
            label = card.find_element(By.CLASS_NAME, "label").text
            cards[label] = card.find_element(By.CLASS_NAME, "value").text
        seen["overview"] = {"cards": cards, "url": driver.current_url.replace(args.base, "")}
        shot("overview")

        driver.find_element(By.LINK_TEXT, "Incidents").click()
        rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr td:nth-child(2) a")
        seen["incidents"] = [row.text for row in rows]
        shot("incidents")
        if rows:
            rows[0].click()
            seen["incident"] = {
                "title": driver.find_element(By.TAG_NAME, "h1").text,
                "attempt_outcomes": [badge.text for badge in driver.find_elements(By.CSS_SELECTOR, "table.attempts .badge")],
                "text": driver.find_element(By.TAG_NAME, "main").text,
            }
            shot("incident")

        driver.find_element(By.LINK_TEXT, "Bindings").click()
        seen["bindings"] = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "tbody tr td:nth-child(3)")]
        shot("bindings")

        driver.find_element(By.LINK_TEXT, "Dead letters").click()
        boxes = driver.find_elements(By.CSS_SELECTOR, "input[type=checkbox][name=id]")
        seen["dead_letters"] = [box.get_attribute("value") for box in boxes]
        shot("dead-letters")
        seen["after_replay"] = None
        if boxes:
            boxes[0].click()
            submit_and_wait(driver.find_element(By.CSS_SELECTOR, "button[value=selected]"))
            flash = driver.find_elements(By.CSS_SELECTOR, ".flash")
            seen["after_replay"] = flash[0].text if flash else None
            shot("dead-letters-replayed")
    except Exception as error:  # noqa: BLE001 - any failure of the walk is the harness's to report
        print(f"console-browser: {type(error).__name__}: {error}", file=sys.stderr)
        try:
            driver.save_screenshot(os.path.join(args.screens, "failure.png"))
        finally:
            driver.quit()
        return 2
    driver.quit()
    seen.update(log_checks(logs))
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
