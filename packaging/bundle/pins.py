"""Write pip constraints that pin every distribution installed in this Python environment to
its installed version, leaving out the names that the bundle's requirements pin themselves and
Inspector itself. build-bundle.sh installs the bundle's build environment with them, so the
bundle carries the versions the calling environment (where the test suite ran) has.

    python3 packaging/bundle/pins.py REQUIREMENTS_TXT > constraints.txt
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions
from pathlib import Path

SELF = "trainset-inspector"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_names(requirements: str) -> set[str]:
    """The names that a requirements file pins with ``==``."""
    names = set()
    for line in requirements.splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*==", line)
        if match:
            names.add(canonical(match.group(1)))
    return names


def constraints(requirements: str) -> list[str]:
    skip = pinned_names(requirements) | {SELF}
    found: dict[str, str] = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name and canonical(name) not in skip:
            found.setdefault(canonical(name), f"{canonical(name)}=={dist.version}")
    return sorted(found.values())


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print("\n".join(constraints(Path(sys.argv[1]).read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
