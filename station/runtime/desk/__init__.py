"""The desk: what the core worker does with each scan and touch.

``dispatch`` (the :class:`Desk`) routes a command; ``session`` keeps who is signed in and each flow's state
and commits a step; ``people`` handles badges, PINs, sign-in and approvals; each flow's routing is its own
module (``intake_routes``, ``restock_routes``, ``pack_routes``, ``repair_routes``); ``model`` holds the
touches, outcomes and the screen's snapshot.
"""

from station.runtime.desk.dispatch import Desk
from station.runtime.desk.model import DeskView, Outcome, Touch, lpn_prefix

__all__ = ["Desk", "DeskView", "Outcome", "Touch", "lpn_prefix"]
