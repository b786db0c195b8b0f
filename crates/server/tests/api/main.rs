//! The HTTP API end to end: each test starts the real app on 127.0.0.1:0 against a fresh
//! SQLite data directory (or, in `postgres`, a fresh PostgreSQL database) and talks to it over
//! TCP.

mod auth;
mod bad_input;
mod corpus;
mod customers;
mod email;
mod helpers;
mod lifecycle;
mod postgres;
mod promises;
mod search;
mod system;
mod tickets;
