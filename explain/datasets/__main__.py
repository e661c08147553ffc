"""``python -m explain.datasets`` regenerates the shipped data files from their documented process."""

from pathlib import Path

from ._credit import DATA_FILE, write_credit

if __name__ == "__main__":
    print(write_credit(Path(__file__).with_name("data") / DATA_FILE))
