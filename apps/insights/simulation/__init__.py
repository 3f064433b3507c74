"""`make simulate`: the promise engine proved over a simulated year (issue 9).

A deterministic discrete-event simulation on a fresh database. The event
stream (quote requests, acceptances, supplier slips, work-center breakdowns)
is drawn first from one seed (`scenario`), then replayed for two promising
policies (`policies`): the lead-time formula ERP peers use, and Tandem (the
engine, allocation, re-planning, warnings) through the project's own services
under a simulated clock (`clock`). One reality model (`plant`) decides when
every order line is actually delivered, so both policies are judged on the
same physics; `ledger_check` holds the invariant that no stock or hour is
promised twice; `report` writes bench/promise-simulation.md and .json.
"""
