"""Every action the code writes to the audit log has a Dutch label on the audit page."""

from __future__ import annotations

import ast
import re

from server.settings import PROJECT_DIR

PACKAGES = ("server", "bookings", "feedback", "invoicing", "reporting")


def recorded_actions() -> set[str]:
    actions: set[str] = set()
    for package in PACKAGES:
        for path in (PROJECT_DIR / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call) or len(node.args) < 2:
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name != "record":
                    continue
                action = node.args[1]
                options = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
                actions |= {
                    o.value for o in options if isinstance(o, ast.Constant) and isinstance(o.value, str)
                }
    return actions


def test_every_audit_action_has_a_label() -> None:
    labels = (PROJECT_DIR / "templates" / "admin" / "_audit_labels.html").read_text()
    known = set(re.findall(r'"([a-z_]+)": _\(', labels))
    actions = recorded_actions()
    assert len(actions) > 30
    assert not actions - known, f"add labels to templates/admin/_audit_labels.html: {sorted(actions - known)}"
