//! `nhiscan collect` and `nhiscan merge`: write an inventory, collected live or joined
//! from files.

use super::*;

/// `nhiscan collect <provider>`: writes the collected inventory. Exits 3 when part of
/// the provider could not be scanned (the inventory says which), 2 when none of it.
pub fn collect(command: &CollectCommand, verbosity: Verbosity) -> Result<u8> {
    let started = Instant::now();
    let progress = progress(verbosity);
    let inventory = command.provider.collect(&command.args, progress)?;
    let (format, output) = (command.common.format, command.common.output.as_deref());
    write_inventory(&inventory, format, output)?;
    say_collected(&inventory, started, verbosity);
    let incomplete = inventory.coverage.iter().any(|c| c.status.is_incomplete());
    Ok(if incomplete && !command.common.partial_ok {
        exit::INCOMPLETE
    } else {
        exit::CLEAN
    })
}

/// `nhiscan merge`: joins inventory files into one (sources, coverage and API calls
/// included), refusing an id that two of them hold. Exits 0; the coverage gaps it
/// carries are reported (and make the exit code 3) when the result is scanned.
pub fn merge(args: &MergeArgs, verbosity: Verbosity) -> Result<u8> {
    // The same reading and checks as `scan -i A -i B`.
    let merged = crate::import::read_all(&args.files).context("cannot merge")?;
    write_inventory(&merged, args.format, args.output.as_deref())?;
    note(
        verbosity,
        format!(
            "merged {} files: {} identities, {} credentials, {} coverage entries",
            args.files.len(),
            merged.identities.len(),
            merged.credentials.len(),
            merged.coverage.len()
        ),
    );
    let gaps = merged
        .coverage
        .iter()
        .filter(|c| c.status.is_incomplete())
        .count();
    if gaps > 0 {
        warn(
            verbosity,
            format!(
                "the merged inventory records {gaps} part(s) that could not be collected; \
                 `nhiscan scan` lists them and exits 3"
            ),
        );
    }
    Ok(exit::CLEAN)
}

/// Writes an inventory (what `--inventory` reads back) to `output` or stdout.
fn write_inventory(
    inventory: &Inventory,
    format: InventoryFormat,
    output: Option<&Path>,
) -> Result<()> {
    report::write_output(output, |out| match format {
        InventoryFormat::Json => report::view::inventory::write_document(inventory, out),
        InventoryFormat::Jsonl => report::view::inventory::write_lines(inventory, out),
    })
    .with_context(|| output_error(output))
}
