/** @odoo-module **/

import {registry} from "@web/core/registry";

// The salesperson's day: the board, a card, a held reminder approved (with a
// confirmation), an urgent reminder, a renewal marked lost with its reason,
// then reopened.
registry.category("web_tour.tours").add("renewal_salesperson_tour", {
    url: "/odoo/renewals",
    steps: () => [
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
