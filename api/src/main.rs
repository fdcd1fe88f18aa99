use std::process::ExitCode;

use clap::Parser;
use entity::telemetry::{self, error_chain};
use sixpotify_api::{Application, Settings};

/// mimalloc serves the many small allocations of request handling faster than the system
/// allocator (see the README's figures for the API under load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    let settings = Settings::parse();
    telemetry::init(
        settings.log_format,
        "warn,sixpotify_api=info,sixpotify_loader=info",
    );
    let app = match Application::build(&settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %error_chain(&e), "could not start");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped with an error");
            ExitCode::FAILURE
        }
    }
}
