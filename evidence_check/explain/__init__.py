"""Plain-language sentences for findings and next steps, in English and Simplified Chinese."""

from evidence_check.explain.messages import LANGUAGES, basis_text, next_step_text, summary

__all__ = ["LANGUAGES", "basis_text", "next_step_text", "summary"]
