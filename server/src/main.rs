//! `duban`: the command line of Duban's server. Parsing and the commands live in [`cli`]; this
//! file only wires them to the process (arguments in, text out, exit status).

mod cli;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let outcome = cli::parse(std::env::args_os()).and_then(|parsed| match parsed {
        cli::Parsed::Run(cli) => cli::run(&cli),
        cli::Parsed::Show(text) => Ok(cli::Output {
            stdout: text,
            stderr: String::new(),
        }),
    });
    match outcome {
        Ok(output) => {
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = std::io::stdout().write_all(output.stdout.as_bytes());
            let _ = std::io::stderr().write_all(output.stderr.as_bytes());
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "{error}");
            error.exit_code()
        }
    }
}
