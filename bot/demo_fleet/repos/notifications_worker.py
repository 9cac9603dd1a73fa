"""notifications-worker: calls a codemod must not guess at, reported for a human instead."""

from __future__ import annotations

from bot.demo_fleet.sample import GITIGNORE, SampleRepo, pyproject

README = """
# notifications-worker

Drains the notification spool: one JSON file per message, sent by e-mail (through the
local MTA) or to a webhook, then moved to `done/` or `failed/`.

```
python -m notifications.worker /var/spool/notifications
python -m pytest -q
```
"""

TEMPLATES = r'''
"""The messages we send, as string.Template subject and body pairs."""

from __future__ import annotations

from string import Template
from typing import Dict, Mapping, Tuple

TEMPLATES: Dict[str, Tuple[str, str]] = {
    "order_shipped": (
        "Your order $order is on its way",
        "Hi $name,\n\nyour order $order left our warehouse with $carrier.\n"
        "Track it at $tracking_url\n",
    ),
    "password_reset": (
        "Reset your password",
        "Hi $name,\n\nsomeone asked to reset your password. If it was you, open\n"
        "$reset_url within the next hour. If not, you can ignore this message.\n",
    ),
}


class UnknownTemplate(KeyError):
    pass


class MissingField(ValueError):
    pass


def render(name: str, context: Mapping[str, str]) -> Tuple[str, str]:
    try:
        subject, body = TEMPLATES[name]
    except KeyError:
        raise UnknownTemplate(name) from None
    try:
        return Template(subject).substitute(context), Template(body).substitute(context)
    except KeyError as exc:
        raise MissingField(f"{name}: no value for ${exc.args[0]}") from None
'''

WEBHOOKS = r'''
"""Webhook deliveries. Callers pass requests options (auth, verify, ...) straight through."""

from __future__ import annotations

from typing import Any, Dict

import requests

SLACK_WEBHOOK = "https://hooks.slack.example.com/services/T000/B000/XXXX"


def deliver(url: str, payload: Dict[str, Any], **options: Any) -> int:
    response = requests.post(url, json=payload, **options)
    response.raise_for_status()
    return response.status_code


def alive(url: str) -> bool:
    return requests.head(url).ok


def to_slack(text: str) -> None:
    deliver(SLACK_WEBHOOK, {"text": text, "unfurl_links": False})
'''

MAILER = r'''
"""Mail through the local MTA: the container image ships sendmail."""

from __future__ import annotations

import subprocess

SENDMAIL = "/usr/sbin/sendmail"


def mta_available() -> bool:
    # `command -v` is a shell builtin, hence shell=True; the command is a constant.
    return subprocess.run("command -v sendmail", shell=True, capture_output=True).returncode == 0


def send(sender: str, recipient: str, subject: str, body: str) -> None:
    message = f"From: {sender}\nTo: {recipient}\nSubject: {subject}\n\n{body}"
    subprocess.run(
        f"{SENDMAIL} -t -f {sender}",
        shell=True,
        input=message.encode("utf-8"),
        check=True,
    )
'''

WORKER = r'''
"""Drain the spool folder: each *.json file is one message, sent then filed away."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Callable, Dict, Tuple

from notifications.templates import render

log = logging.getLogger("notifications")

# recipient, subject, body
Sender = Callable[[str, str, str], None]


def _file(path: Path, folder: str) -> None:
    target = path.parent / folder
    target.mkdir(exist_ok=True)
    path.rename(target / path.name)


def drain(spool: Path, senders: Dict[str, Sender]) -> Tuple[int, int]:
    """Send every message in the spool; returns (sent, failed)."""
    sent = failed = 0
    for path in sorted(spool.glob("*.json")):
        try:
            job = json.loads(path.read_text(encoding="utf-8"))
            subject, body = render(job["template"], job["context"])
            senders[job["channel"]](job["to"], subject, body)
        except Exception:
            log.exception("%s: not sent", path.name)
            _file(path, "failed")
            failed += 1
        else:
            _file(path, "done")
            sent += 1
    return sent, failed


def main() -> None:
    from notifications import mailer, webhooks

    def email(to: str, subject: str, body: str) -> None:
        mailer.send("noreply@shop.example.com", to, subject, body)

    def webhook(to: str, subject: str, body: str) -> None:
        webhooks.deliver(to, {"subject": subject, "body": body})

    sent, failed = drain(Path(sys.argv[1]), {"email": email, "webhook": webhook})
    log.info("sent %d, failed %d", sent, failed)


if __name__ == "__main__":
    main()
'''

TEST_TEMPLATES = r"""
import pytest

from notifications.templates import MissingField, UnknownTemplate, render


def test_render_fills_subject_and_body():
    subject, body = render(
        "order_shipped",
        {"order": "A-17", "name": "Ada", "carrier": "DHL", "tracking_url": "https://t/1"},
    )
    assert subject == "Your order A-17 is on its way"
    assert "with DHL." in body


def test_missing_field_names_the_template():
    with pytest.raises(MissingField, match=r"password_reset: no value for \$reset_url"):
        render("password_reset", {"name": "Ada"})


def test_unknown_template():
    with pytest.raises(UnknownTemplate):
        render("newsletter", {})
"""

TEST_WORKER = r"""
import json

from notifications.worker import drain


def spool_message(folder, name, **job):
    (folder / f"{name}.json").write_text(json.dumps(job))


def test_drain_sends_and_files_messages(tmp_path):
    outbox = []
    spool_message(
        tmp_path,
        "001",
        channel="email",
        to="ada@example.com",
        template="password_reset",
        context={"name": "Ada", "reset_url": "https://shop.example.com/r/x"},
    )
    spool_message(tmp_path, "002", channel="fax", to="555", template="password_reset",
                  context={"name": "Bob", "reset_url": "u"})
    sent, failed = drain(tmp_path, {"email": lambda *message: outbox.append(message)})
    assert (sent, failed) == (1, 1)
    assert outbox[0][:2] == ("ada@example.com", "Reset your password")
    assert [p.name for p in (tmp_path / "done").iterdir()] == ["001.json"]
    assert [p.name for p in (tmp_path / "failed").iterdir()] == ["002.json"]
"""

REPOSITORY = SampleRepo(
    name="notifications-worker",
    description="requests.post(**options) and sendmail via shell=True: findings for a human",
    files={
        ".gitignore": GITIGNORE,
        "README.md": README,
        "pyproject.toml": pyproject(
            "notifications-worker",
            "2.0.3",
            "Sends the spooled e-mail and webhook notifications.",
            ["requests>=2.31"],
        ),
        "src/notifications/__init__.py": "",
        "src/notifications/mailer.py": MAILER,
        "src/notifications/templates.py": TEMPLATES,
        "src/notifications/webhooks.py": WEBHOOKS,
        "src/notifications/worker.py": WORKER,
        "tests/test_templates.py": TEST_TEMPLATES,
        "tests/test_worker.py": TEST_WORKER,
    },
)
