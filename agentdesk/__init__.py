"""agentdesk: a keyboard-first terminal workstation for customer-service agents."""

__version__ = "0.1.0"
