"""The `huggingtweets` command (and `python -m huggingtweets`): the CLI, with a Ctrl-C during its
own imports ending as one line too, as one at any later moment does."""

import sys


def main() -> int:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        print("Error: interrupted. Run the same command again.", file=sys.stderr)
        return 130
    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
