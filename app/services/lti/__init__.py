"""LTI 1.3 tool: platform registrations, launches checked completely, the people and
courses they map to, the tool's keys; LTI Advantage services (deep linking, names and
roles, grades) one module each. Request-agnostic, as xblock-lti-consumer's ``lti_1p3``:
the transport (app.web.lti) parses requests and renders pages. This package imports
nothing on purpose: import the module you need."""
