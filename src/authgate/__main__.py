"""``python -m authgate`` and the ``authgate`` command."""

from authgate.startup import collector


def run() -> None:
    """Run the command line, with the collector off while it starts
    (:mod:`authgate.startup.collector`)."""
    collector.starting()
    from authgate.cli import main

    main()


if __name__ == "__main__":
    run()
