"""Root cause: candidate causes of anomalous lots ranked against good ones, and equipment windows.

``service`` answers "what do these lots have in common that comparable good lots do not?";
``windows`` answers "what did this machine make between t1 and t2, and right after?";
``parameters`` answers "which steps ran with parameter P out of range, and what did they
make?".
"""

from traceapi.services.rootcause.baseline import BaselineReport, BaselineRule
from traceapi.services.rootcause.factors import FactorKind
from traceapi.services.rootcause.parameters import ParameterWindowReport, parameter_window
from traceapi.services.rootcause.service import (
    DEFAULT_LEVEL,
    DEFAULT_LIMIT,
    Candidate,
    RootCauseReport,
    SharedNode,
    Subgraph,
    root_cause,
    root_cause_neighbourhood,
    subgraph_graphml,
)
from traceapi.services.rootcause.windows import EquipmentWindowReport, equipment_window

__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_LIMIT",
    "BaselineReport",
    "BaselineRule",
    "Candidate",
    "EquipmentWindowReport",
    "FactorKind",
    "ParameterWindowReport",
    "RootCauseReport",
    "SharedNode",
    "Subgraph",
    "equipment_window",
    "parameter_window",
    "root_cause",
    "root_cause_neighbourhood",
    "subgraph_graphml",
]
