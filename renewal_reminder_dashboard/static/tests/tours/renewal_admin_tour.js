/** @odoo-module **/

import {registry} from "@web/core/registry";

// The admin's set-up: a tier, a policy with three stages for it, its preview
// on a contract with the test sequence, and a Setting.
registry.category("web_tour.tours").add("renewal_admin_tour", {
    url: "/odoo/action-renewal_reminder.renewal_tier_action",
    steps: () => [
        {
            content: "A new tier",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Platinum",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "On to the policies",
            trigger: ".o_main_navbar button:contains(Configuration)",
            run: "click",
        },
        {
            trigger: ".dropdown-item:contains(Policies)",
            run: "click",
        },
        {
            content: "A new policy",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Platinum accounts",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=tier_id] input",
            run: "edit Platinum",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Platinum)",
            run: "click",
        },
        ...[60, 30, 7].flatMap((days) => [
            {
                content: `A stage ${days} days before`,
                trigger: ".o_field_widget[name=stage_ids] .o_field_x2many_list_row_add a",
                run: "click",
            },
            {
                trigger:
                    ".o_field_widget[name=stage_ids] .o_selected_row .o_field_widget[name=days_before] input",
                run: `edit ${days}`,
            },
        ]),
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Three stages saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "Preview it on a contract",
            trigger: ".o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item:contains(Preview on a Contract)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=contract_id] input",
            run: "edit Admin tour hosting",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Admin tour hosting)",
            run: "click",
        },
        {
            content: "Each stage dated and rendered",
            trigger: ".modal .o_field_widget[name=timeline]:contains(Admin Tour Customer)",
        },
        {
            content: "Send the sequence to myself",
            trigger: ".modal button[name=action_send_test]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(test messages sent)",
        },
        {
            content: "On to the Settings",
            trigger: ".o_main_navbar button:contains(Configuration)",
            run: "click",
        },
        {
            trigger: ".dropdown-item:contains(Settings)",
            run: "click",
        },
        {
            content: "The daily pass's knobs wait in an advanced block, with help",
            trigger:
                "h2:contains(Advanced) ~ .o_settings_container #renewal_batch_size:contains(From 1 to 1000)",
        },
        {
            content: "Tiers and policies are a click away",
            trigger: "#renewal_tiers_and_policies button:contains(Customer Tiers)",
        },
        {
            trigger: ".o_field_widget[name=renewal_target_rate] input",
            run: "edit 90",
        },
        {
            content: "Mark the page, which saving reloads",
            trigger: ".o_field_widget[name=renewal_target_rate] input",
            run() {
                document.body.classList.add("o_renewal_before_save");
            },
        },
        {
            trigger: ".o_control_panel .btn-primary:contains(Save)",
            run: "click",
        },
        {
            content: "Saved: the reloaded page shows the stored value",
            trigger:
                "body:not(.o_renewal_before_save) .o_field_widget[name=renewal_target_rate] input:value(90.00)",
        },
        {
            content: "Back to the board",
            trigger: ".o_menu_sections a:contains(Board)",
            run: "click",
        },
        {
            trigger: ".o_kanban_renderer .o_kanban_record:contains(Admin tour hosting)",
        },
        {
            content: "The board measures against the new target",
            trigger: ".o_renewal_target_banner .o_renewal_target:contains(Target 90%)",
        },
    ],
});
