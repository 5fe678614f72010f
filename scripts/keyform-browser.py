#!/usr/bin/env python3
"""Drives the key form (GET /v1/keyform, DESIGN §3) in headless Chromium, as a Mini App would.

    keyform-browser.py --url URL [--stdin-json | --api-key K --api-secret S [--passphrase P]]
                       --screenshot FILE.png [--screenshot-filled FILE.png] [--timeout 30]

Run with the Python that scripts/browser-venv.sh prints (Selenium pinned there), against
Debian's chromium through /usr/bin/chromedriver (scripts/install-deps.sh --test); nothing is
downloaded. The viewport is 360 x 740 CSS px, a small phone's (emulated on top of
--window-size, which Chromium widens to 500 px).

URL is the whole page address, fragment included:
`…/v1/keyform?account=acc_42#tgWebAppData=…&tgWebAppVersion=7.0&tgWebAppThemeParams=…`.
The keys come best as one JSON object on standard input with --stdin-json
(`{"api_key": …, "api_secret": …, "passphrase": …}`, which then wins over the options), so
they show in no process list.

It opens the page and waits for `document.body.dataset.state` to leave `loading` (the page's
states: loading, ready, failed, checking, done, refused). If the page is `ready` and keys were
given, it types each given one into its field (#api_key, #api_secret, #passphrase) when that
field is displayed, takes --screenshot-filled, clicks #submit and waits for done, refused or
failed. Then it takes --screenshot and prints one JSON object on stdout:

    {"state", "lang", "account", "status",
     "errors": {"api_key", "api_secret", "passphrase"},  # hint text when it has class "error", else null
     "passphrase_shown",        # #passphrase displayed when the page became ready (else at the end)
     "close_shown",             # #close displayed at the end
     "viewport": {"width", "height"},
     "console_errors": [...],   # the browser log's SEVERE entries (a 4xx answer to the page's
                                # own fetch is one: Chromium logs "Failed to load resource";
                                # the browser's own /favicon.ico request is left out)
     "csp_violations": [...]}   # the log's Content-Security-Policy refusals, any level

Texts are what the user sees (WebDriver's visible text); null when the element is absent.
The typed keys are never printed, nor the launch data (URL fragments in log entries are cut).

Exit status: 0 it ran, whatever state the page ended in; 3 a state was not reached within
--timeout seconds (the JSON is printed with the state as it was and "timeout": true, and
--screenshot is still taken); 2 a harness problem (bad arguments, no browser, a page without
the expected elements…), said on stderr.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys

from browser_harness import CHROMEDRIVER, CHROMIUM, start_browser as start_chromium
WIDTH, HEIGHT = 360, 740
FIELDS = ("api_key", "api_secret", "passphrase")
SETTLED = ("done", "refused", "failed")


class HarnessError(Exception):
    pass


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, dict[str, str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--api-key")
    parser.add_argument("--api-secret")
    parser.add_argument("--passphrase")
    parser.add_argument("--stdin-json", action="store_true",
                        help='read {"api_key", "api_secret", "passphrase"} from standard input')
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--screenshot-filled")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    keys = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    if args.stdin_json:
        try:
            given = json.load(sys.stdin)
        except ValueError as error:
            raise HarnessError(f"--stdin-json: standard input is not JSON ({error})") from None
        if not isinstance(given, dict):
            raise HarnessError("--stdin-json: standard input is not a JSON object")
        for name, value in given.items():
            if name not in FIELDS:
                raise HarnessError(f"--stdin-json: unknown field {name!r}")
            if value is None:
                continue
            if not isinstance(value, str):
                raise HarnessError(f"--stdin-json: {name} is not a string")
            keys[name] = value
    return args, keys


def start_browser():
    driver = start_chromium(WIDTH, HEIGHT)
    # Chromium keeps a window at least 500 px wide, headless too: a phone's viewport is emulated.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": True})
    return driver


def state_of(driver) -> str | None:
    return driver.execute_script("return document.body ? (document.body.dataset.state || null) : null")


def wait_for(driver, timeout: float, accept) -> None:
    """Waits until accept(state) holds; raises selenium's TimeoutException if it does not."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: accept(state_of(d)))


def element(driver, element_id: str):
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.ID, element_id)
    return found[0] if found else None


def displayed(driver, element_id: str) -> bool:
    found = element(driver, element_id)
    return found is not None and found.is_displayed()


def visible_text(driver, element_id: str) -> str | None:
    found = element(driver, element_id)
    return None if found is None else found.text


def fill_and_submit(driver, keys: dict[str, str], args) -> None:
    from selenium.common.exceptions import WebDriverException

    typed = 0
    for name in FIELDS:
        field = element(driver, name)
        if name in keys and field is not None and field.is_displayed():
            field.clear()
            field.send_keys(keys[name])
            typed += 1
    if typed == 0:
        raise HarnessError("the page is ready but shows none of #api_key, #api_secret, #passphrase")
    if args.screenshot_filled:
        screenshot(driver, args.screenshot_filled)
    submit = element(driver, "submit")
    if submit is None:
        raise HarnessError("the page is ready but has no #submit")
    try:
        submit.click()
    except WebDriverException as error:
        raise HarnessError(f"clicking #submit failed: {error.msg}") from None


def screenshot(driver, path: str) -> None:
    if not driver.save_screenshot(path):
        raise HarnessError(f"could not write the screenshot {path}")


def message(entry: dict) -> str:
    """A log entry's text, with URL fragments (the launch data) cut to `#…`."""
    return re.sub(r"(https?://[^\s#]*)#\S*", r"\1#…", entry.get("message", ""))


def report(driver, passphrase_shown: bool | None) -> dict:
    errors = {}
    for name in FIELDS:
        hint = element(driver, f"{name}_hint")
        has_error = hint is not None and "error" in (hint.get_attribute("class") or "").split()
        errors[name] = hint.text if has_error else None
    # The browser's own /favicon.ico request is none of the page's doing.
    log = [entry for entry in driver.get_log("browser")
           if not (entry.get("source") == "network" and "/favicon.ico " in entry.get("message", ""))]
    viewport = driver.execute_script("return {width: window.innerWidth, height: window.innerHeight}")
    return {
        "state": state_of(driver),
        "lang": driver.execute_script("return document.documentElement.lang"),
        "account": visible_text(driver, "account"),
        "status": visible_text(driver, "status"),
        "errors": errors,
        "passphrase_shown": displayed(driver, "passphrase") if passphrase_shown is None else passphrase_shown,
        "close_shown": displayed(driver, "close"),
        "viewport": viewport,
        "console_errors": [message(entry) for entry in log if entry.get("level") == "SEVERE"],
        "csp_violations": [message(entry) for entry in log
                           if "content security policy" in entry.get("message", "").lower()],
    }


def run(args, keys: dict[str, str]) -> int:
    from selenium.common.exceptions import TimeoutException, WebDriverException

    try:
        driver = start_browser()
    except WebDriverException as error:
        raise HarnessError(f"could not start {CHROMIUM} through {CHROMEDRIVER}: {error.msg}") from None
    try:
        timed_out, passphrase_shown = False, None
        try:
            driver.set_page_load_timeout(args.timeout)
            driver.get(args.url)
            wait_for(driver, args.timeout, lambda state: state not in (None, "loading"))
            if state_of(driver) == "ready":
                passphrase_shown = displayed(driver, "passphrase")
            if state_of(driver) == "ready" and keys:
                fill_and_submit(driver, keys, args)
                wait_for(driver, args.timeout, lambda state: state in SETTLED)
        except TimeoutException:
            timed_out = True
        screenshot(driver, args.screenshot)
        result = report(driver, passphrase_shown)
        if timed_out:
            result["timeout"] = True
        print(json.dumps(result, ensure_ascii=False))
        return 3 if timed_out else 0
    except WebDriverException as error:
        raise HarnessError(f"browser error: {error.msg}") from None
    finally:
        driver.quit()


def main(argv: list[str]) -> int:
    # A test that gives up on us sends SIGTERM: quit the browser (the finally in run) on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        args, keys = parse_args(argv)
        return run(args, keys)
    except HarnessError as error:
        print(f"keyform-browser: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        print(f"keyform-browser: {error} (run with the Python scripts/browser-venv.sh prints)",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
