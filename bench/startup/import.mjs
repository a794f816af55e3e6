// Imports each module named on the command line, one after the other: the import cost of one
// dependency (or of the package) is this script's time with it minus its time with no argument.
for (const specifier of process.argv.slice(2)) await import(specifier);
