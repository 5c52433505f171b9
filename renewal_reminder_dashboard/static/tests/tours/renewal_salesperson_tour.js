/** @odoo-module **/

import {registry} from "@web/core/registry";

// The salesperson's day: the board, a card, a held reminder approved (with a
// confirmation), an urgent reminder, a renewal marked lost with its reason,
// then reopened.
registry.category("web_tour.tours").add("renewal_salesperson_tour", {
    url: "/odoo/renewals",
    steps: () => [
        {
            content: "The board opens on what needs someone: the reminders to review",
            trigger: ".o_kanban_group:first-child .o_column_title:contains(Awaiting Review)",
        },
        {
            content: "Column totals are amounts in the company's currency",
            trigger:
                ".o_kanban_group:has(.o_kanban_record:contains('Tour hosting')) .o_kanban_header .o_animated_number:contains($)",
        },
        {
            content: "The board's header measures the renewal rate against the target",
            trigger: ".o_renewal_target_banner .o_renewal_target:contains(Target 85%)",
        },
        {
            content: "A card's next reminder date says what it is",
            trigger: ".o_kanban_record .o_renewal_next_reminder[title='Next reminder'] .fa-bell-o",
        },
        {
            content: "The graph of the same renewals",
            trigger: ".o_control_panel .o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "Each status keeps its colour: healthy ones are not red",
            trigger: ".o_graph_renderer canvas",
            run() {
                const chart = window.Chart && window.Chart.getChart(this.anchor);
                if (!chart) {
                    throw new Error("No chart on the graph view.");
                }
                const colours = Object.fromEntries(
                    chart.data.datasets.map((dataset) => [dataset.label, dataset.backgroundColor])
                );
                const red = "#CE4257";
                for (const healthy of ["Upcoming", "Reminding", "Renewed", "Awaiting Review"]) {
                    if (healthy in colours && colours[healthy] === red) {
                        throw new Error(`${healthy} is painted red.`);
                    }
                }
                if (!("Awaiting Review" in colours) || colours["Awaiting Review"] !== "#FFBC2C") {
                    throw new Error(`Unexpected colours: ${JSON.stringify(colours)}`);
                }
            },
        },
        {
            content: "Back to the board",
            trigger: ".o_control_panel .o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "The card wears its tier's colour",
            trigger: ".o_kanban_record:contains('Tour hosting') .o_tag_color_10:contains(Standard)",
        },
        {
            content: "The board shows the salesperson's renewal",
            trigger: ".o_kanban_renderer .o_kanban_record:contains('Tour hosting')",
            run: "click",
        },
        {
            content: "The contract opens, with its customer",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(Tour Customer)",
        },
        {
            content: "Open the contract's reminders",
            trigger: ".o_form_view button[name=action_view_renewal_reminders]",
            run: "click",
        },
        {
            content: "Open the one awaiting review",
            trigger: ".o_list_view .o_data_row:contains(Awaiting Review) td.o_data_cell",
            run: "click",
        },
        {
            content: "Approve and send it",
            trigger: ".o_form_view button[name=action_approve]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "It is on its way",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Queued)",
        },
        {
            content: "Back to the contract",
            trigger: ".o_breadcrumb .breadcrumb-item:nth-child(2) a",
            run: "click",
        },
        {
            content: "Send an urgent reminder",
            trigger: ".o_form_view button[name=action_renewal_urgent_reminder]",
            run: "click",
        },
        {
            content: "The message is prepared for the customer",
            trigger: ".modal .o_field_widget[name=subject] input:value(Tour hosting)",
        },
        {
            content: "Send it now",
            trigger: ".modal button[name=action_send]",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Mark the renewal lost",
            trigger: ".o_form_view button[name=action_renewal_mark_lost]",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Moved to a competitor",
        },
        {
            content: "Confirm",
            trigger: ".modal button[name=action_mark_lost]",
            run: "click",
        },
        {
            content: "The renewal is lost and can be reopened",
            trigger: ".o_form_view button[name=action_renewal_reopen]",
            run: "click",
        },
        {
            content: "Reopened: it can be marked lost again",
            trigger: ".o_form_view button[name=action_renewal_mark_lost]",
        },
    ],
});
