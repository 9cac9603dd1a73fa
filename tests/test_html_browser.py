"""The HTML report in a real browser: repository text that looks like markup runs nothing.

tests/test_report.py parses the page with Python's HTML parser; this loads it in headless
Chromium, the engine people open the report with, and reads back the DOM it built. A script
that ran announces itself twice: it renames the page (document.title) and logs to the
console, which Chromium prints to stderr. ``alert()`` payloads would block the headless
page until the timeout. The same payloads, pasted into a page unescaped, must be caught by
both signals: that control proves the detector works with this browser and these flags.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from bot.ledger import Ledger
from bot.outcomes import FileChange, Outcome, RepoOutcome
from bot.report import build_report, render_html
from tests.test_report import NOW, Page, make_policy, outcome, record

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOAD_TIMEOUT = 90  # seconds; Chromium starts in ~2 s, but the machine may be busy
INSTALL = "apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=600 chromium"

# What a repository controls, each announcing itself if it ever runs.
MARK = "FLEETMOD-XSS"
SCRIPT_NAME = f"<script>document.title='{MARK}-repo';console.log('{MARK}-repo')</script>.py"
IMAGE = f"<img src=x onerror=\"document.title='{MARK}-img';console.log('{MARK}-img')\">"
SVG = f"\"><svg onload=\"document.title='{MARK}-svg';console.log('{MARK}-svg')\">.py"
BREAKOUT = f"</td></tr></table><script>console.log('{MARK}-reason')</script>"
PAYLOADS = (SCRIPT_NAME, IMAGE, SVG, BREAKOUT)
# The classic spellings: these would open a dialog and hang the page instead.
ALERTS = ("<script>alert(1)</script>.py", "<img src=x onerror=alert(2)>")


def _find_browser() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def _install_browser() -> str | None:
    """Install Debian's chromium where this process may; why it could not, otherwise."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return "no browser, and no apt-get run as root to install chromium with"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["sh", "-c", INSTALL], env=env, capture_output=True, text=True)
    return None if done.returncode == 0 else f"installing chromium failed: {done.stderr[-500:]}"


@pytest.fixture(scope="module")
def browser() -> str:
    found = _find_browser()
    if found is None:
        problem = _install_browser()
        found = _find_browser()
        if found is None:
            pytest.skip(problem or "chromium installed but not found on PATH")
    return found


def load(browser: str, page: Path, profile: Path) -> tuple[str, str]:
    """The DOM Chromium built from ``page`` (after scripts, if any ran) and its log."""
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
        "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        dom, log = process.communicate(timeout=LOAD_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{page.name} never finished loading: a script opened a dialog or hung it")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # helpers Chromium left behind
    assert process.returncode == 0, log[-2000:]
    return dom, log


def title_of(dom: str) -> str:
    """The document's title when the page had loaded: a script that ran may have changed it."""
    head = re.search(r"<head>.*?<title>(.*?)</title>", dom, re.DOTALL)  # not the charts' <title>s
    assert head is not None, dom[:500]
    return html.unescape(head.group(1))


def ran(log: str) -> set[str]:
    """Which payloads announced themselves on the console."""
    return set(re.findall(rf"{MARK}-(\w+)", log))


def hostile_ledger(tmp_path: Path) -> Ledger:
    """A ledger as a campaign leaves it, where two repositories hold markup in their names."""
    files = [FileChange(name, {"yaml-safe-load": 1}) for name in (*ALERTS[:1], SCRIPT_NAME, SVG)]
    findings = [
        {"path": SVG, "line": 3, "column": 1, "codemod": "yaml-safe-load", "level": "error",
         "message": f"unsafe loader {message}"}
        for message in (IMAGE, ALERTS[1])
    ]  # fmt: skip
    checks = [{"name": SCRIPT_NAME, "passed": False, "timed_out": False, "exit_code": 1}]
    ledger = Ledger(tmp_path / "state" / "ledger.sqlite3")
    record(ledger, "run", [
        RepoOutcome(ALERTS[0], Outcome.PR_OPENED, BREAKOUT, 7, "javascript:alert(3)", "open",
                    files, findings),
        RepoOutcome(SCRIPT_NAME, Outcome.CHECKS_FAILED, IMAGE, files=files, checks=checks),
        outcome("org/good", Outcome.PR_OPENED, 1, 0, "open", 4),
    ])  # fmt: skip
    return ledger


def test_hostile_report_runs_no_script_in_chromium(browser: str, tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    html_file = tmp_path / "report.html"
    html_file.write_text(render_html(build_report(policy, hostile_ledger(tmp_path), NOW)))

    dom, log = load(browser, html_file, tmp_path / "profile")

    assert ran(log) == set()
    assert title_of(dom) == f"fleetmod: {policy.title}"
    page = Page(dom)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "img", "iframe", "object", "embed"}, tags
    assert not [(tag, name) for tag, attrs in page.tags for name in attrs if name.startswith("on")]
    hrefs = [str(attrs["href"]) for tag, attrs in page.tags if tag == "a" and "href" in attrs]
    assert hrefs == [policy.url, "https://forge.example/org/good/pull/4"]  # no javascript: link
    for text in (*PAYLOADS, *ALERTS):
        assert text in page.all_text, f"{text!r} is not shown as text"
    assert BREAKOUT in page.cells and IMAGE in page.cells  # each stayed inside its cell


def test_the_same_payloads_run_when_pasted_unescaped(browser: str, tmp_path: Path) -> None:
    """The control: without escaping, this browser runs every payload and both signals see it."""
    cells = "".join(f"<tr><td>{payload}</td></tr>" for payload in PAYLOADS)
    html_file = tmp_path / "unescaped.html"
    html_file.write_text(f"<!DOCTYPE html><title>unescaped</title><table>{cells}</table>")

    dom, log = load(browser, html_file, tmp_path / "profile")

    assert ran(log) == {"repo", "img", "svg", "reason"}
    assert title_of(dom).startswith(MARK)
