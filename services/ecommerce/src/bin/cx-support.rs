//! `cx-support`: the support team's command; see `ecommerce::support_tool`.

use std::process::ExitCode;

fn main() -> ExitCode {
    ecommerce::support_tool::run(std::env::args().skip(1))
}
