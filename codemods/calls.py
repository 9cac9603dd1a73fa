"""Small, shared edits of call arguments that keep the caller's formatting.

Codemods that add, drop or rename keyword arguments all face the same details: trailing
commas, arguments spread over several lines, `*args`/`**kwargs`. They live here once.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    """The argument passed as ``name=...``, if any."""
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def positional(call: cst.Call) -> list[cst.Arg]:
    """Plain positional arguments, in order (not ``*args``, not keywords)."""
    return [a for a in call.args if a.keyword is None and not a.star]


def argument(call: cst.Call, index: int, name: str) -> cst.Arg | None:
    """The argument for parameter ``name``: by keyword, or as the ``index``-th positional one.

    None when it is not passed, or when a ``*args`` before that position hides where it is.
    """
    found = keyword(call, name)
    unpacked = [a for a in call.args if a.keyword is None and a.star != "**"]
    before = unpacked[: index + 1]
    if found is not None or any(a.star for a in before) or len(before) <= index:
        return found
    return before[index]


def has_star(call: cst.Call) -> bool:
    """True when ``*args`` or ``**kwargs`` hide what is really passed."""
    return any(a.star for a in call.args)


def has_double_star(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def _line_separator(call: cst.Call) -> cst.Comma | None:
    """The comma (newline and indent, no comments) of a call written one argument per line.

    Arguments that share one line after the bracket (black's ``f(\n    a, b=1\n)``) are
    not: one more goes on that line. A lone argument is, when a trailing comma says so.
    """
    for arg in call.args[:-1]:
        comma = arg.comma
        if isinstance(comma, cst.Comma) and isinstance(
            comma.whitespace_after, cst.ParenthesizedWhitespace
        ):
            return cst.Comma(whitespace_after=_bare(comma.whitespace_after))
    last = call.args[-1].comma if len(call.args) == 1 else None
    trailing = isinstance(last, cst.Comma) and isinstance(
        last.whitespace_after, cst.ParenthesizedWhitespace
    )
    if trailing and isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=_bare(call.whitespace_before_args))
    return None


def _bare(ws: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
    return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())


def append_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """``call`` with ``arg`` added last, laid out like the arguments already there.

    Callers check ``has_star`` first when order matters: ``arg`` goes after ``**kwargs``.
    """
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    between = _line_separator(call)
    if isinstance(last.comma, cst.Comma):
        closing = last.comma.whitespace_after  # before `)`, after the trailing comma
        separator = between or last.comma.with_changes(whitespace_after=cst.SimpleWhitespace(" "))
        added = arg.with_changes(comma=last.comma)
    else:
        closing = last.whitespace_after_arg
        separator = between or cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        added = arg.with_changes(whitespace_after_arg=last.whitespace_after_arg)
        last = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    gap = between.whitespace_after if between is not None else None
    if isinstance(gap, cst.ParenthesizedWhitespace) and isinstance(
        closing, cst.ParenthesizedWhitespace
    ):
        # The comment on the last argument's line stays there; the new one closes the call.
        moved = closing.with_changes(indent=gap.indent, last_line=gap.last_line)
        separator = separator.with_changes(whitespace_after=moved)
        if isinstance(added.comma, cst.Comma):
            added = added.with_changes(
                comma=added.comma.with_changes(whitespace_after=_bare(closing))
            )
        else:
            added = added.with_changes(whitespace_after_arg=_bare(closing))
    args[-1] = last.with_changes(comma=separator)
    return call.with_changes(args=[*args, added])


def add_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``name=value`` appended."""
    return append_arg(
        call,
        cst.Arg(
            keyword=cst.Name(name),
            value=value,
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        ),
    )


def remove_args(call: cst.Call, drop: Sequence[cst.Arg]) -> cst.Call:
    """``call`` without the arguments in ``drop`` (compared by identity)."""
    kept = [a for a in call.args if not any(a is d for d in drop)]
    if kept and kept[-1] is not call.args[-1]:
        last = call.args[-1]
        comma = closing_comma(kept[-1].comma, last.comma)
        if isinstance(comma, cst.MaybeSentinel) and _commented(kept[-1].comma):
            closing = cst.Comma(whitespace_after=last.whitespace_after_arg)
            comma = closing_comma(kept[-1].comma, closing)
        kept[-1] = kept[-1].with_changes(comma=comma)
    return call.with_changes(args=kept)


def closing_comma(
    own: cst.Comma | cst.MaybeSentinel, last: cst.Comma | cst.MaybeSentinel
) -> cst.Comma | cst.MaybeSentinel:
    """The comma of an item that becomes the last of a list: the old last one's, which closes
    the list, but keeping the comment on the item's own line."""
    if isinstance(own, cst.Comma) and isinstance(last, cst.Comma):
        mine, theirs = own.whitespace_after, last.whitespace_after
        if isinstance(mine, cst.ParenthesizedWhitespace) and isinstance(
            theirs, cst.ParenthesizedWhitespace
        ):
            return own.with_changes(
                whitespace_after=mine.with_changes(indent=theirs.indent, last_line=theirs.last_line)
            )
    return last


def _commented(comma: cst.Comma | cst.MaybeSentinel) -> bool:
    """A comma followed by a comment on the same line (which goes if the comma goes)."""
    after = comma.whitespace_after if isinstance(comma, cst.Comma) else None
    return isinstance(after, cst.ParenthesizedWhitespace) and after.first_line.comment is not None
