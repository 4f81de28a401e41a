"""Java NIO glob matching (``FileSystem.getPathMatcher("glob:...")``), as Kestra's outputFiles use.

``*`` and ``?`` stay within one path segment, ``**`` crosses segments, ``{a,b}`` is a choice
and ``[...]`` a class. Python's fnmatch lets ``*`` cross ``/``, which is why it is not used.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    if pattern.startswith("regex:"):
        return re.compile(pattern[6:])
    if pattern.startswith("glob:"):
        pattern = pattern[5:]
    out: list[str] = []
    i, n, depth = 0, len(pattern), 0
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "{":
            depth += 1
            out.append("(?:")
        elif ch == "}" and depth:
            depth -= 1
            out.append(")")
        elif ch == "," and depth:
            out.append("|")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif ch == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 1
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


def java_glob_match(pattern: str, path: str) -> bool:
    path = path.removeprefix("./")
    pattern = pattern.removeprefix("./")
    return glob_to_regex(pattern).match(path) is not None
