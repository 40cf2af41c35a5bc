package identifier

// sharedPlan returns the territories that share the national numbering plan
// of region: numbers written nationally there are dialled the same way from
// region, with the same national prefix, but carry another country calling
// code in E.164. A national number that is not valid in region is tried in
// each of them (Normalizer.parseNational).
//
// libphonenumber describes each territory's numbers, which decides every
// number here, but not which territories belong to which national plan:
// its metadata has no link from France (+33) to Guadeloupe (+590), and
// trying every region that shares France's national prefix and
// international prefix instead would read "0690 12 34 56" as a number of
// Morocco (+212), Monaco (+377) or 22 other countries where it is also
// valid. So the plans are named here, by region only, from the French
// numbering plan (ARCEP, "plan national de numérotation": the overseas
// departments and collectivities keep 10-digit national numbers starting
// 0262, 0269, 0508, 0590, 0594, 0596, 0639, 0690-0697); the number ranges
// stay the library's. TestSharedPlanDiallingHabits checks against the
// metadata that every territory listed has its region's national and
// international prefixes.
func sharedPlan(region string) []string {
	switch region {
	case "FR":
		// Guadeloupe, Saint-Barthélemy, Saint-Martin (+590), Martinique
		// (+596), French Guiana (+594), Réunion and Mayotte (+262),
		// Saint-Pierre-et-Miquelon (+508).
		return []string{"GP", "BL", "MF", "MQ", "GF", "RE", "YT", "PM"}
	}
	return nil
}
