/** @odoo-module **/

import {registry} from "@web/core/registry";

// A Renewals manager simulates a contract's cycle from the policy's preview:
// what silence, a reading left unanswered and a bounce would bring.
registry.category("web_tour.tours").add("renewal_simulator_tour", {
    steps: () => [
        {
            content: "Preview the policy on a contract",
            trigger: ".o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item:contains(Preview on a Contract)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=contract_id] input",
            run: "edit Simulated hosting",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Simulated hosting)",
            run: "click",
        },
        {
            content: "On to the simulation",
            trigger: ".modal .nav-link:contains(Simulation)",
            run: "click",
        },
        {
            content: "Nobody answers: the renewal ends up at risk, then a call",
            trigger: ".modal .o_renewal_simulation .o_renewal_simulation_at_risk",
        },
        {
            trigger: ".modal .o_renewal_simulation .o_renewal_simulation_call",
        },
        {
            content: "The customer opens the emails but never answers",
            trigger: ".modal .o_field_widget[name=scenario] input[data-value=opens_never_answers]",
            run: "click",
        },
        {
            content: "The salesperson gets a follow-up",
            trigger: ".modal .o_renewal_simulation .o_renewal_simulation_follow_up",
        },
        {
            content: "The email bounces",
            trigger: ".modal .o_field_widget[name=scenario] input[data-value=bounces]",
            run: "click",
        },
        {
            trigger: ".modal .o_renewal_simulation .o_renewal_simulation_fix_address",
        },
        {
            content: "Close the preview: nothing was sent",
            trigger: ".modal footer button:contains(Close)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
