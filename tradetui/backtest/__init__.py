"""Research: replay history through the engine, then measure, report and export the run."""
