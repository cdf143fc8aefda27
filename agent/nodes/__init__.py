"""Graph nodes (thin: read state, call the engine / retriever / selection, return an update)."""

from agent.nodes.flow import ask, follow_up, select
from agent.nodes.grading import grade, reflect, retrieve
from agent.nodes.report import report

__all__ = ["ask", "follow_up", "grade", "reflect", "report", "retrieve", "select"]
