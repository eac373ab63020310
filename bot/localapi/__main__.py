"""``python -m bot.localapi``: the local Bot API server on its own."""

import sys

from bot.localapi.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
