//! End-to-end tests of the reporter core against real HTTP servers on 127.0.0.1.
