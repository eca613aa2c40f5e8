"""`python -m agentdesk`: the same as the `agentdesk` command."""

from agentdesk.cli import main

raise SystemExit(main())
