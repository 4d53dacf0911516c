"""What of ADL's LRS conformance suite (xAPI 1.0.3) we hold ourselves to, and what not, by name.

The one place that says what is left out of tests/web/test_xapi_conformance.py and why.
Every top-level section of the suite is either run (``SECTIONS_RUN``) or named in
``SECTIONS_OUT`` with a reason; inside the sections run, every test must pass except the
ones named in ``TESTS_OUT``, each with its reason. The test module checks both lists
against the suite itself, so a name that stops existing (or a test left out that starts
passing) fails too.
"""

from __future__ import annotations

DOCUMENTS = ("documents (State, Agent Profile, Activity Profile) are not offered: this "
             "service takes progress as statements; learners' state belongs to the LMS")
AGENTS = "the Agents resource (a Person from every statement's agents) is not offered"
ACTIVITIES = "the Activities resource (activity definitions from statements) is not offered"
ALTERNATE = ("the alternate request syntax (a form-encoded POST standing in for GET and PUT, "
             "for browsers without CORS) is not offered; xAPI 2.0 removed it")

# Top-level sections run (their titles begin with these); one regex for the suite's -g.
SECTIONS_RUN = (
    "Formatting Requirements (Data 2.2)",
    "Statement Lifecycle Requirements (Data 2.3)",
    "Id Property Requirements (Data 2.4.1)",
    "Actor Property Requirements (Data 2.4.2)",
    "Verb Property Requirements (Data 2.4.3)",
    "Object Property Requirements (Data 2.4.4)",
    "Result Property Requirements (Data 2.4.5)",
    "Context Property Requirements (Data 2.4.6)",
    "Timestamp Property Requirements (Data 2.4.7)",
    "Stored Property Requirements (Data 2.4.8)",
    "Authority Property Requirements (Data 2.4.9)",
    "Version Property Requirements (Data 2.4.10)",
    "Attachments Property Requirements (Data 2.4.11)",
    "Retrieval of Statements (Data 2.5)",
    "Signed Statements (Data 2.6)",
    "Special Data Types and Rules (Data 4.0)",
    "HEAD Request Implementation Requirements (Communication 1.1)",
    "Headers Requirements (Communication 1.2)",
    "Encoding Requirements (Communication 1.4)",
    "Content Type Requirements (Communication 1.5)",
    "Statement Resource Requirements (Communication 2.1)",
    "About Resource Requirements (Communication 2.8)",
    "Error Codes Requirements (Communication 3.2)",
    "Versioning Requirements (Communication 3.3)",
    "Authentication Requirements (Communication 4.0)",
)

SECTIONS_OUT = {
    "Alternate Request Syntax Requirements (Communication 1.3)": ALTERNATE,
    "The LRS MUST support the Alternate Request Syntax (Communication 1.3.s3.b15, XAPI-00336)":
        ALTERNATE,
    "Document Resource Requirements (Communication 2.2)": DOCUMENTS,
    "State Resource Requirements (Communication 2.3)": DOCUMENTS,
    "Agents Resource Requirements (Communication 2.4)": AGENTS,
    "Activities Resource Requirements (Communication 2.5)": ACTIVITIES,
    "Agent Profile Resource Requirements (Communication 2.6)": DOCUMENTS,
    "Activity Profile Resource Requirements (Communication 2.7)": DOCUMENTS,
    "Concurrency Requirements (Communication 3.1)":
        "ETags and If-Match guard documents, which are not offered (" + DOCUMENTS + ")",
}

_HEAD_ANY = ("HEAD Request Implementation Requirements (Communication 1.1) > An LRS accepts HEAD "
             "requests (Communication 1.1, XAPI-00126) > should succeed HEAD {} with no body")
_HEAD_SAME = ("HEAD Request Implementation Requirements (Communication 1.1) > An LRS responds to a "
              "HEAD request in the same way as a GET request, but without the message-body "
              "(Communication 1.1.s3.b1, XAPI-00125) **This means run ALL GET tests with HEAD** "
              "> should succeed HEAD {} with no body")
_VERSION_ELSEWHERE = (
    "About Resource Requirements (Communication 2.8) > An LRS rejects with error code 400 Bad "
    "Request, a Request which does not use a \"X-Experience-API-Version\" header name to any "
    "Resource except the About Resource (multiplicity, Communication 2.8.s4.table1.row2, "
    "XAPI-00321) > using {} Endpoint")
_RESOURCES = {"activities": ACTIVITIES, "activities profile": DOCUMENTS,
              "activities state": DOCUMENTS, "agents": AGENTS, "agents profile": DOCUMENTS}
_ENDPOINTS = {"Activities": ACTIVITIES, "Activities Profile": DOCUMENTS,
              "Activities State": DOCUMENTS, "Agents": AGENTS, "Agents Profile": DOCUMENTS}

TESTS_OUT = {
    **{_HEAD_ANY.format(name): why for name, why in _RESOURCES.items()},
    **{_HEAD_SAME.format(name): why for name, why in _RESOURCES.items()},
    **{_VERSION_ELSEWHERE.format(name): why for name, why in _ENDPOINTS.items()},
}
