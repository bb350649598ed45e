//! End-to-end test in a real headless Chromium: a vote clicked on the vote
//! page shows up, live, on the result page. vote, worker and result run in
//! this process on port 0 over real Redis and PostgreSQL.

mod helpers;

mod vote_to_result;
