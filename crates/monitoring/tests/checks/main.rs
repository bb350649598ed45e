//! Checks of `deploy/monitoring/` with the real tools: promtool and amtool
//! on the configuration and the rules, the rules' unit tests, and a real
//! Prometheus scraping the real services, against which every query of the
//! dashboard must return data.

mod config;
mod dashboard;
mod rules;
