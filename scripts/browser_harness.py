"""What the browser-test drivers (keyform-, console- and demo-browser.py) share: Debian's
headless Chromium through /usr/bin/chromedriver, with the browser log kept for the checks of
console errors and Content-Security-Policy refusals. Nothing is downloaded."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def start_browser(width: int, height: int):
    """A headless Chromium window of width x height, logging everything the page logs."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def log_checks(entries: list[dict]) -> dict:
    """The browser log's SEVERE entries (the browser's own /favicon.ico request left out) and
    its Content-Security-Policy refusals, as the drivers report them."""
    return {
        "console_errors": [e["message"] for e in entries if e.get("level") == "SEVERE" and "favicon.ico" not in e["message"]],
        "csp_violations": [e["message"] for e in entries if "Content Security Policy" in e["message"]],
    }
