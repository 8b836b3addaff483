"""Start a dxflow worker: ``python -m worker`` (the same as ``flask worker``)."""

from worker.runner import main

if __name__ == "__main__":
    main()
