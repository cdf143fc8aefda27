"""Graph nodes (thin: read state, call the engine / retriever / selection, return an update)."""

from agent.interview.nodes.flow import ask, follow_up, select
from agent.interview.nodes.grading import grade, reflect, retrieve
from agent.interview.nodes.report import report
from agent.interview.nodes.self_rate import self_rate

__all__ = ["ask", "follow_up", "grade", "reflect", "report", "retrieve", "select", "self_rate"]
