"""Offline evaluation of the recommendation lists on an order export, beside baselines."""

from recoms.evaluation.evaluate import EvaluationReport, Row, evaluate, format_report

__all__ = ["EvaluationReport", "Row", "evaluate", "format_report"]
