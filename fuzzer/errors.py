"""Portable error classes.

Every engine reports errors its own way: PostgreSQL has SQLSTATE, MySQL has error numbers (and a
mostly generic SQLSTATE), SQLite has result codes and messages, DuckDB has exception classes.
The oracles and the reducer compare errors across engines, so each engine module maps its errors
onto the standard SQLSTATE below, and this module says what a SQLSTATE means for a fuzzer.
"""

from __future__ import annotations

from enum import Enum


class SQLState:
    """The SQLSTATE codes sqlparity maps to (PostgreSQL's spelling of the standard)."""

    CONNECTION_FAILURE = "08006"
    CARDINALITY_VIOLATION = "21000"
    STRING_DATA_RIGHT_TRUNCATION = "22001"
    NUMERIC_VALUE_OUT_OF_RANGE = "22003"
    INVALID_DATETIME_FORMAT = "22007"
    DATETIME_FIELD_OVERFLOW = "22008"
    DIVISION_BY_ZERO = "22012"
    INVALID_PARAMETER_VALUE = "22023"
    INVALID_REGULAR_EXPRESSION = "2201B"
    INVALID_TEXT_REPRESENTATION = "22P02"
    INVALID_JSON_TEXT = "22032"
    DATA_EXCEPTION = "22000"
    INTEGRITY_CONSTRAINT_VIOLATION = "23000"
    NOT_NULL_VIOLATION = "23502"
    FOREIGN_KEY_VIOLATION = "23503"
    UNIQUE_VIOLATION = "23505"
    CHECK_VIOLATION = "23514"
    INVALID_TRANSACTION_STATE = "25000"
    SERIALIZATION_FAILURE = "40001"
    SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION = "42000"
    SYNTAX_ERROR = "42601"
    INSUFFICIENT_PRIVILEGE = "42501"
    GROUPING_ERROR = "42803"
    DATATYPE_MISMATCH = "42804"
    UNDEFINED_FUNCTION = "42883"
    UNDEFINED_TABLE = "42P01"
    UNDEFINED_COLUMN = "42703"
    UNDEFINED_OBJECT = "42704"
    AMBIGUOUS_COLUMN = "42702"
    DUPLICATE_TABLE = "42P07"
    DUPLICATE_OBJECT = "42710"
    COLLATION_MISMATCH = "42P21"
    INDETERMINATE_COLLATION = "42P22"
    PROGRAM_LIMIT_EXCEEDED = "54000"
    STATEMENT_TOO_COMPLEX = "54001"
    OUT_OF_MEMORY = "53200"
    QUERY_CANCELED = "57014"
    FEATURE_NOT_SUPPORTED = "0A000"
    SYSTEM_ERROR = "58000"  # the driver failed in a way it has no SQL error for
    INTERNAL_ERROR = "XX000"
    DATA_CORRUPTED = "XX001"
    UNKNOWN = "HY000"


class ErrorCategory(Enum):
    """What an error says about the statement, the data, or the engine."""

    COMPILE = "compile"  # rejected before running: syntax, names, types (a generator bug)
    RUNTIME = "runtime"  # depends on the data: division by zero, overflow, bad cast
    CONSTRAINT = "constraint"  # integrity constraint violated by a write
    TIMEOUT = "timeout"  # cancelled by the statement timeout
    CONNECTION = "connection"  # the connection dropped: the server may have crashed
    INTERNAL = "internal"  # the engine admits a bug of its own
    RESOURCE = "resource"  # a limit of the engine or of sqlparity was reached
    DRIVER = "driver"  # the client library failed (a value it cannot convert, say)
    OTHER = "other"


_BY_CLASS = {
    "08": ErrorCategory.CONNECTION,
    "21": ErrorCategory.RUNTIME,
    "22": ErrorCategory.RUNTIME,
    "23": ErrorCategory.CONSTRAINT,
    "25": ErrorCategory.RUNTIME,
    "40": ErrorCategory.RUNTIME,
    "42": ErrorCategory.COMPILE,
    "0A": ErrorCategory.COMPILE,
    "53": ErrorCategory.RESOURCE,
    "54": ErrorCategory.RESOURCE,
    "58": ErrorCategory.DRIVER,
    "XX": ErrorCategory.INTERNAL,
}


def category(sqlstate: str) -> ErrorCategory:
    if sqlstate == SQLState.QUERY_CANCELED:
        return ErrorCategory.TIMEOUT
    return _BY_CLASS.get(sqlstate[:2], ErrorCategory.OTHER)
