/** @odoo-module **/

import {registry} from "@web/core/registry";

// A Renewals manager makes a stage send an email and an SMS, then reads in
// the policy's preview what the Chinese customer's SMS costs.
registry.category("web_tour.tours").add("renewal_sms_stage_tour", {
    steps: () => [
        {
            content: "The first stage's channel",
            trigger:
                ".o_field_widget[name=stage_ids] .o_data_row:first .o_data_cell[name=channel]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=stage_ids] .o_selected_row .o_field_widget[name=channel] select",
            run: 'select "email_sms"',
        },
        {
            content: "Its SMS template appears next to its email template",
            trigger:
                ".o_field_widget[name=stage_ids] .o_selected_row .o_field_widget[name=sms_template_id]",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "Preview it on the Chinese customer's contract",
            trigger: ".o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item:contains(Preview on a Contract)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=contract_id] input",
            run: "edit SMS tour hosting",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(SMS tour hosting)",
            run: "click",
        },
        {
            content: "The stage shows its email",
            trigger: ".modal .o_field_widget[name=timeline] .o_renewal_sender",
        },
        {
            content: "and its SMS in Chinese, with what it costs",
            trigger: ".modal .o_field_widget[name=timeline] .o_renewal_sms_size:contains(UCS-2)",
        },
        {
            trigger: ".modal .o_field_widget[name=timeline] .o_renewal_sms_text:contains(合同)",
        },
        {
            content: "Close the preview",
            trigger: ".modal footer button:contains(Close)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

// The customer opens the SMS's short opt-out link on a phone and stops
// renewal SMS.
registry.category("web_tour.tours").add("renewal_sms_stop_tour", {
    steps: () => [
        {
            content: "The page fits the phone's width",
            trigger: ".o_renewal_sms_stop_page form",
            run() {
                const root = document.documentElement;
                if (root.scrollWidth > window.innerWidth + 1) {
                    throw new Error(
                        `The page is ${root.scrollWidth}px wide on a ${window.innerWidth}px screen.`
                    );
                }
            },
        },
        {
            content: "Stop renewal SMS",
            trigger: ".o_renewal_sms_stop_page .o_renewal_sms_stop_button",
            run: "click",
        },
        {
            content: "Confirmed (in the customer's language), and undone with one tap",
            trigger: ".o_renewal_sms_stop_page .alert-success",
        },
        {
            trigger: ".o_renewal_sms_stop_page .o_renewal_sms_resume",
        },
    ],
});
