use std::process::ExitCode;

use clap::Parser;
use entity::telemetry::{self, error_chain};
use sixpotify_api::{Application, Command, Settings};

/// mimalloc serves the many small allocations of request handling faster than the system
/// allocator (see the README's figures for the API under load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    let settings = Settings::parse();
    match settings.command {
        Some(Command::Schema) => {
            print!("{}", sixpotify_api::graphql::sdl());
            return ExitCode::SUCCESS;
        }
        Some(Command::TrustedDocuments) => {
            print!("{}", sixpotify_api::trusted::shipped_manifest());
            return ExitCode::SUCCESS;
        }
        None => {}
    }
    let traces = match telemetry::init(
        settings.log_format,
        "warn,sixpotify_api=info,sixpotify_loader=info",
        settings.otlp_endpoint.as_deref(),
        "sixpotify-api",
    ) {
        Ok(traces) => traces,
        Err(e) => {
            eprintln!("could not start the OTLP exporter: {}", error_chain(&e));
            return ExitCode::FAILURE;
        }
    };
    let code = serve(&settings).await;
    traces.shutdown();
    code
}

async fn serve(settings: &Settings) -> ExitCode {
    let app = match Application::build(settings).await {
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
