/** @odoo-module **/

import {registry} from "@web/core/registry";

// A salesperson spots the renewals nobody answered on the board, keeps only
// those, and reads why on the contract.
registry.category("web_tour.tours").add("renewal_at_risk_tour", {
    steps: () => [
        {
            content: "The card says the renewal is at risk",
            trigger: ".o_kanban_record:contains(Silent hosting) .o_renewal_at_risk",
        },
        {
            content: "Keep only the renewals at risk",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            trigger: ".o_filter_menu .o-dropdown-item:contains(At Risk)",
            run: "click",
        },
        {
            trigger: ".o_facet_value:contains(At Risk)",
        },
        {
            trigger: ".o_kanban_record:contains(Silent hosting)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_notebook .nav-link:contains(Renewal)",
            run: "click",
        },
        {
            content: "The contract says why",
            trigger: ".o_renewal_at_risk:contains(No answer 72 hours)",
        },
    ],
});
