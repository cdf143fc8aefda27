"""``python -m agent.cli``."""

from agent.cli.app import main

main()
