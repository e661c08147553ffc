"""``python -m explain.datasets`` regenerates the shipped data files from their documented process."""

from pathlib import Path

from ._credit import DATA_FILE, write_credit
from ._jobs import DATA_FILE as JOBS_FILE
from ._jobs import write_jobs

if __name__ == "__main__":
    data = Path(__file__).with_name("data")
    print(write_credit(data / DATA_FILE))
    print(write_jobs(data / JOBS_FILE))
