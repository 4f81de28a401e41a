"""The checks, one function per diagnostic code, in the order they run.

``yaml-syntax`` and ``duplicate-key`` come from the loader, ``invalid-flow`` from the model and
``expression-syntax`` from the expression stage; everything else is here.
"""

from __future__ import annotations

from compiler.checks import cycles, ids, library, properties, references, structure
from compiler.checks.context import CheckContext

CHECKS = (
    ids.invalid_id,
    ids.duplicate_task_id,
    ids.duplicate_id,
    structure.input_rules,
    structure.scheduled_inputs,
    structure.flowable_rules,
    structure.trigger_rules,
    structure.listener_rules,
    properties.unknown_task_type,
    properties.missing_property,
    properties.unknown_property,
    library.unknown_filter,
    library.unknown_function,
    library.unknown_test,
    references.hyphen_dot_access,
    references.unknown_task,
    references.unknown_output,
    references.unknown_output_file,
    references.loop_reference,
    references.unknown_input,
    references.unknown_variable,
    references.dynamic_reference,
    references.self_reference,
    references.conditional_reference,
    cycles.cycle,
)


def run_checks(ctx: CheckContext) -> None:
    for check in CHECKS:
        check(ctx)


__all__ = ["CHECKS", "CheckContext", "run_checks"]
