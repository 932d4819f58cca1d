"""``python -m rankterm``: the same entry point as the ``rankterm`` console script."""

from rankterm.commands.cli import main

if __name__ == "__main__":
    main()
