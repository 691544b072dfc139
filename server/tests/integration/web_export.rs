//! Exports: the ledger and statistics as xlsx, the item archive zip.
