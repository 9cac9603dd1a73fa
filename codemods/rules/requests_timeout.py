"""requests-timeout: a requests call without a timeout can wait forever on a silent server."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from pydantic import Field, StrictFloat, StrictInt

from codemods.base import Codemod, CodemodTransformer, Example, FileContext, Options
from codemods.calls import add_keyword, argument, has_double_star, keyword, positional
from codemods.imports import imports_any

# The parameters a call can fill by position, in order.
Signature = tuple[str, ...]

# requests/api.py: every module function passes **kwargs on to Session.request.
MODULE_SIGNATURES: dict[str, Signature] = {
    "request": ("method", "url"),
    "get": ("url", "params"),
    "options": ("url",),
    "head": ("url",),
    "post": ("url", "data", "json"),
    "put": ("url", "data"),
    "patch": ("url", "data"),
    "delete": ("url",),
}
# requests/sessions.py: Session.request spells out every parameter; timeout is the ninth.
SESSION_REQUEST: Signature = (
    "method",
    "url",
    "params",
    "data",
    "headers",
    "cookies",
    "files",
    "auth",
    "timeout",
    "allow_redirects",
    "proxies",
    "hooks",
    "stream",
    "verify",
    "cert",
    "json",
)
SESSION_SIGNATURES = {
    **MODULE_SIGNATURES,
    "get": ("url",),
    "request": SESSION_REQUEST,
}
FUNCTIONS = {
    f"{module}.{name}": signature
    for module in ("requests", "requests.api")
    for name, signature in MODULE_SIGNATURES.items()
}
SESSION_FACTORIES = (
    "requests.Session",
    "requests.session",
    "requests.sessions.Session",
    "requests.sessions.session",
)
# requests' own adapter: mounting it keeps requests' default of no timeout.
STOCK_ADAPTERS = ("requests.adapters.HTTPAdapter",)
# Session attributes that cannot give it a default timeout (unlike `mount` or `adapters`).
SESSION_SETTINGS = {
    "auth",
    "cert",
    "close",
    "cookies",
    "headers",
    "hooks",
    "max_redirects",
    "params",
    "proxies",
    "stream",
    "trust_env",
    "verify",
}


class TimeoutOptions(Options):
    timeout: StrictInt | StrictFloat = Field(
        30,
        gt=0,
        allow_inf_nan=False,
        description="Seconds to wait for the server (connect and each read) before giving up.",
    )


@dataclass(frozen=True)
class Target:
    """A call that sends a request: what it calls, its signature, the session variable."""

    what: str
    signature: Signature
    session: cst.Name | None = None


class Transformer(CodemodTransformer):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        target = self._target(original)
        if target is None:
            return updated
        given = keyword(original, "timeout")
        if given is not None and _is_none(given.value):
            self.report(original, f"{target.what} with timeout=None waits forever: is it meant to?")
        if given is not None or "timeout" in target.signature[: len(positional(original))]:
            return updated
        if self._kwargs_carry_timeout(original):
            return updated
        blocker = self._blocker(original, target)
        if blocker is not None:
            self.report(original, blocker)
            return updated
        self.changed()
        return add_keyword(updated, "timeout", _number(self.options.timeout))

    def _target(self, call: cst.Call) -> Target | None:
        name = self.refers_to(call.func, *FUNCTIONS)
        if name is not None:
            return Target(name, FUNCTIONS[name])
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in SESSION_SIGNATURES:
            return None
        what, signature = f"Session.{func.attr.value}", SESSION_SIGNATURES[func.attr.value]
        if isinstance(func.value, cst.Call) and self.refers_to(func.value.func, *SESSION_FACTORIES):
            return Target(what, signature)
        if isinstance(func.value, cst.Name) and self._is_session(func.value):
            return Target(what, signature, func.value)
        return None

    def _is_session(self, name: cst.Name) -> bool:
        """Whether every value ``name`` can hold was made by ``requests.Session()`` here.

        An annotation is not enough: a subclass may set its own default timeout.
        """
        bindings = self.bindings(name)
        return bindings is not None and all(
            isinstance(b.value, cst.Call) and self.refers_to(b.value.func, *SESSION_FACTORIES)
            for b in bindings
        )

    def _kwargs_carry_timeout(self, call: cst.Call) -> bool:
        """``**kw`` where every value ``kw`` can hold is a literal dict with a timeout."""
        for arg in call.args:
            if arg.star != "**" or not isinstance(arg.value, cst.Name):
                continue
            bindings = self.bindings(arg.value)
            if bindings and all(_has_timeout(b.value) and not b.entered for b in bindings):
                return True
        return False

    def _blocker(self, call: cst.Call, target: Target) -> str | None:
        """Why a timeout cannot be added to ``call`` without a human, if anything."""
        what, signature = target.what, target.signature
        given = len(positional(call))
        if given > len(signature):
            return f"{what} with more positional arguments than it takes: check the call"
        if has_double_star(call):
            return f"{what} with **kwargs and no timeout=: make sure the kwargs carry one"
        if any(a.star == "*" for a in call.args) and "timeout" in signature[given:]:
            return f"{what} with *args and no timeout=: make sure the args carry one"
        if target.session is not None and not self._plain_session(target.session):
            return (
                f"{what} without timeout= on a session that is mounted on, patched or "
                "used elsewhere: add timeout= unless the session's adapter sets one"
            )
        return None

    def _plain_session(self, name: cst.Name) -> bool:
        """Whether the session is only used to send requests and to read or set settings.

        A session that is mounted on, patched, or handed elsewhere may carry an adapter
        with its own default timeout, which an explicit timeout would override.
        """
        return all(self._plain_use(read) for read in self.reads(name))

    def _plain_use(self, read: cst.CSTNode) -> bool:
        attribute = self.parent(read)
        if not isinstance(attribute, cst.Attribute) or attribute.value is not read:
            return False
        if attribute.attr.value in SESSION_SETTINGS:
            return True
        call = self.parent(attribute)
        if not isinstance(call, cst.Call) or call.func is not attribute:
            return False
        if attribute.attr.value == "mount":
            return self._stock_adapter(call)
        return attribute.attr.value in SESSION_SIGNATURES

    def _stock_adapter(self, mount: cst.Call) -> bool:
        """``session.mount(prefix, HTTPAdapter(...))``: requests' own adapter sets no timeout."""
        adapter = argument(mount, 1, "adapter")
        if adapter is None:
            return False
        value = adapter.value
        if isinstance(value, cst.Name):
            bindings = self.bindings(value)
            if not bindings or any(b.entered for b in bindings):
                return False
            values = [b.value for b in bindings]
        else:
            values = [value]
        return all(
            isinstance(v, cst.Call) and self.refers_to(v.func, *STOCK_ADAPTERS) for v in values
        )


def _has_timeout(value: cst.BaseExpression | None) -> bool:
    """``{"timeout": ...}`` or ``dict(timeout=...)``, with nothing unpacked into it."""
    if isinstance(value, cst.Dict):
        keys = [e.key for e in value.elements if isinstance(e, cst.DictElement)]
        return any(isinstance(k, cst.SimpleString) and k.evaluated_value == "timeout" for k in keys)
    if isinstance(value, cst.Call) and m.matches(value.func, m.Name("dict")):
        return keyword(value, "timeout") is not None
    return False


def _is_none(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


def _number(value: float) -> cst.BaseExpression:
    return cst.Integer(str(value)) if isinstance(value, int) else cst.Float(repr(value))


class RequestsTimeout(Codemod):
    name = "requests-timeout"
    summary = "requests calls without timeout= get an explicit timeout"
    explanation = (
        "requests waits forever by default: a call without `timeout=` to a server that "
        "accepts the connection and then stops answering hangs the worker, the cron job or "
        "the request handler that made it. This adds `timeout=<seconds>` (option `timeout`, "
        "30 by default; it bounds the connect and each read, not the whole download) to "
        "`requests.get/post/put/patch/delete/head/options/request` and to the same methods "
        "of a variable every assignment of which is `requests.Session()` (or `with "
        "requests.Session() as s`). A session that mounts adapters (other than requests' own "
        "`HTTPAdapter`), is patched or is handed elsewhere may get its timeout from an "
        "adapter, so those calls are reported instead, "
        "as are calls whose `**kwargs` may carry a timeout and explicit `timeout=None`; "
        "sessions kept on attributes (`self.session`) or annotated parameters (a subclass "
        "may set its own default) are not followed. A timeout makes a slow call raise "
        "`requests.Timeout`: choose a value above the slowest legitimate response. Ruff rule "
        "S113 only detects this."
    )
    url = "https://requests.readthedocs.io/en/latest/user/advanced/#timeouts"
    version = 5
    triggers = (b"requests",)
    Options = TimeoutOptions
    Transformer = Transformer

    def transform(self, module: cst.Module, file: FileContext) -> cst.Module:
        """Without an import of requests nothing can match: no scope analysis."""
        if not imports_any(module, "requests"):
            return module
        return super().transform(module, file)

    examples = (
        Example(
            "import requests\nr = requests.get(url, params={'q': 1})\n",
            "import requests\nr = requests.get(url, params={'q': 1}, timeout=30)\n",
        ),
        Example(
            "import requests as rq\nrq.post(\n    url,\n    json=body,\n)\n",
            "import requests as rq\nrq.post(\n    url,\n    json=body,\n    timeout=2.5,\n)\n",
            options={"timeout": 2.5},
            title="alias, one argument per line, float option",
        ),
        Example(
            "from requests import request\nrequest('GET', url)\n",
            "from requests import request\nrequest('GET', url, timeout=30)\n",
            title="imported function",
        ),
        Example(
            "import requests\n\nwith requests.Session() as s:\n    s.headers['A'] = 'b'\n"
            "    s.get(url)\n",
            "import requests\n\nwith requests.Session() as s:\n    s.headers['A'] = 'b'\n"
            "    s.get(url, timeout=30)\n",
            title="session from requests.Session()",
        ),
        Example(
            "import requests\ns = requests.Session()\ns.mount('https://', adapter)\ns.get(url)\n",
            findings=1,
            title="mounted session: its adapter may set the timeout",
        ),
        Example(
            "import requests\ns = requests.Session()\n"
            "a = requests.adapters.HTTPAdapter(max_retries=5)\ns.mount('https://', a)\n"
            "s.get(url)\n",
            "import requests\ns = requests.Session()\n"
            "a = requests.adapters.HTTPAdapter(max_retries=5)\ns.mount('https://', a)\n"
            "s.get(url, timeout=30)\n",
            title="requests' own HTTPAdapter sets no timeout (boto's cloudsearch)",
        ),
        Example(
            "import requests\nrequests.get(url, **options)\n",
            findings=1,
            title="**kwargs may carry the timeout",
        ),
        Example(
            "import requests\n\n\ndef f(url):\n    options = {'timeout': 5, 'verify': False}\n"
            "    return requests.get(url, **options)\n",
            title="**kwargs that visibly carry a timeout",
        ),
        Example(
            "import requests\ns = requests.Session()\n"
            "s.request('GET', url, None, None, None, None, None, None, 5)\n",
            title="Session.request takes timeout as ninth positional",
        ),
        Example("import requests\nrequests.get(url, timeout=(3, 10))\n", title="already fixed"),
        Example(
            "import requests\n\ndef get(url):\n    return url\n\nget('requests.get(url)')\n",
            title="local function, string",
        ),
        Example("import httpx\nhttpx.get(url)\n", title="another library"),
        Example(
            "requests = {}\n\n\ndef pending(key):\n    return requests.get(key)\n",
            title="a module-level variable named requests",
        ),
        Example(
            "import requests\n\ndef f(session: requests.Session):\n    session.get(url)\n",
            title="annotated session: a subclass may set its own timeout",
        ),
    )
