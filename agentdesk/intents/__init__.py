"""Intent detection: which request a ticket is, and how sure we are.

Importing this package is cheap; numpy, WordLlama and (for training only) scikit-learn load
when a model is loaded or trained. `load_default()` returns the model shipped with agentdesk,
trained on the demo's Bitext intents.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentdesk.intents.model import IntentModel

DEFAULT_MODEL = "intents.npz"


def load_default() -> IntentModel:
    """The shipped model for the demo's intents (about a tenth of a second to load)."""
    from agentdesk.intents.model import IntentModel

    with as_file(files(__name__).joinpath("default_model", DEFAULT_MODEL)) as path:
        return IntentModel.load(path)
