"""``python -m auth_service.keys DIR [DELAY]``: a new signing key, in force ``DELAY`` seconds ahead.

The first key of a directory signs at once; a rotated one is published first and signs later
(``PUBLISH_DELAY_SECONDS`` ahead unless ``DELAY`` says otherwise).
"""

from __future__ import annotations

import sys
from pathlib import Path

from auth_service.keys.keyring import PUBLISH_DELAY_SECONDS, generate_key_file


def main(argv: list[str]) -> None:
    directory = Path(argv[0] if argv else ".dev/keys")
    first = not any(directory.glob("*.pem"))
    delay = float(argv[1]) if len(argv) > 1 else (0 if first else PUBLISH_DELAY_SECONDS)
    print(generate_key_file(directory, delay_seconds=delay))


if __name__ == "__main__":
    main(sys.argv[1:])
