"""Entry point of the frozen build: the same ``tocsin`` command line as the pip install."""
import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
