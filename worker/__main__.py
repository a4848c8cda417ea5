"""`python -m worker` is the same as `portal worker`."""

from portal.cli import main

if __name__ == "__main__":
    main(["worker"])
